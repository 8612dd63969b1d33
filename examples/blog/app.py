"""A small Flask blog, the example project migrate-lint's README runs against."""

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True, index=True)
    email = db.Column(db.String(120), index=True)  # drift: no revision creates this index
    bio = db.Column(db.Text)
    locale = db.Column(db.String(8), nullable=False, server_default="en")
    posts = db.relationship("Post", back_populates="author")


class Post(db.Model):
    __tablename__ = "posts"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(140), nullable=False)
    body = db.Column(db.Text)
    slug = db.Column(db.String(160), nullable=False, unique=True)
    views = db.Column(db.Integer, nullable=False)
    # drift: the revisions create this foreign key without ON DELETE CASCADE
    author_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"))
    author = db.relationship("User", back_populates="posts")


def create_app(database_url: str = "sqlite:///blog.db") -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db.init_app(app)
    migrate.init_app(app, db)
    return app


app = create_app()
